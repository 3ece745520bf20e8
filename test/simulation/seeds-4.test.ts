import { describe } from 'vitest';
import { itRunsSeeds } from './seed-block.ts';

describe('simulation, seed block 4 of 8', () => {
  itRunsSeeds(4);
});
