/**
 * A child process for the directory-lock race test: for each round, waits until that round's shared
 * start time, then tries to lock every directory of the round at once. It prints the indexes it got
 * as one JSON line and holds its locks until its stdin closes (an owner that exited early would make
 * the other process's takeover legitimate), then exits without releasing.
 */

import { acquireDirLock } from '../../src/storage/dir-lock.ts';

const [startAtText, roundMsText, roundsText, ...dirs] = process.argv.slice(2);
const rounds = Number(roundsText);
const perRound = dirs.length / rounds;

/** Sleeps until `atMs`, spinning the last few milliseconds so both processes start together. */
async function waitUntil(atMs: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, atMs - Date.now() - 20)));
  while (Date.now() < atMs) {
    // Spin: a timer alone starts the two processes up to a few milliseconds apart.
  }
}

const owned: number[] = [];
const refusedCodes: string[] = [];
for (let round = 0; round < rounds; round++) {
  await waitUntil(Number(startAtText) + round * Number(roundMsText));
  const first = round * perRound;
  const outcomes = await Promise.allSettled(
    dirs.slice(first, first + perRound).map((dir) => acquireDirLock(dir)),
  );
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') owned.push(first + index);
    else refusedCodes.push(String((outcome.reason as { code?: string }).code ?? outcome.reason));
  });
}
process.stdout.write(`${JSON.stringify({ owned, refusedCodes })}\n`);
process.stdin.resume();
process.stdin.once('end', () => process.exit(0));
