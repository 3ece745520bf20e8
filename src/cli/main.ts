/**
 * Entry point of the `tiervec` command. The load-test commands land with the scenario suite.
 */
console.log('tiervec loadtest: not yet (the scenario suite has not landed)');
