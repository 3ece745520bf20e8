/**
 * Entry point of `npm run bench`. The suites land with the benchmark issue.
 */
console.log('tiervec bench: not yet (the benchmark suites have not landed)');
