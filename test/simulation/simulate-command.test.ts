import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { parseSimulateArgs, replayCommand } from '../../src/simulation/simulate-command.ts';
import { simulationConfig, validateSimulationOptions } from '../../src/simulation/simulation-config.ts';
import { runSimulation } from '../../src/simulation/simulation-run.ts';
import { expectTierVecError } from '../helpers/storage-fixtures.ts';

describe('simulate command', () => {
  it('parses seeds, a single seed and options, and prints the one command that replays a seed', () => {
    expect(parseSimulateArgs(['--seeds', '50', '--from', '7'])).toMatchObject({ from: 7, seeds: 50 });
    const one = parseSimulateArgs(['--seed', '995', '--durability', 'buffered', '--steps', '12']);
    expect(one).toMatchObject({ from: 995, seeds: 1, options: { durability: 'buffered', steps: 12 } });
    expect(replayCommand(995, one.options)).toBe(
      'npm run simulate -- --seed 995 --steps 12 --durability buffered',
    );
  });

  it('rejects an unknown flag, a missing value and a bad number with the usage', () => {
    expect(() => parseSimulateArgs(['--seedz', '1'])).toThrow('unknown option --seedz');
    expect(() => parseSimulateArgs(['--seeds'])).toThrow('--seeds needs a value');
    expect(() => parseSimulateArgs(['--seeds', '-3'])).toThrow('--seeds expects an integer');
  });

  it('rejects a bad durability or step count with INVALID_ARGUMENT naming the option', async () => {
    await expectTierVecError(
      () => validateSimulationOptions({ durability: 'sometimes' as never }),
      ErrorCode.INVALID_ARGUMENT,
      '`durability`',
    );
    await expectTierVecError(
      () => validateSimulationOptions({ steps: 0 }),
      ErrorCode.INVALID_ARGUMENT,
      '`steps`',
    );
  });

  it('draws the same configuration from the same seed, and replays a seed event for event', async () => {
    expect(simulationConfig(42)).toEqual(simulationConfig(42));
    expect(simulationConfig(42)).not.toEqual(simulationConfig(43));
    const first = await runSimulation(6);
    const second = await runSimulation(6);
    expect(second.history.events).toEqual(first.history.events);
    expect(first.history.events.length).toBeGreaterThan(20);
  });
});
