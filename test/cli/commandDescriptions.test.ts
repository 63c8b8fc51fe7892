import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/buildProgram';

const everyCommand = (command: Command): Command[] => [
  command,
  ...command.commands.flatMap(everyCommand),
];
const pathOf = (command: Command): string =>
  command.parent ? `${pathOf(command.parent)} ${command.name()}` : command.name();

describe('the iot-registry command tree', () => {
  const commands = everyCommand(buildProgram());

  it('has the twin, query, connection-string and policy commands', () => {
    expect(commands.map(pathOf)).toEqual(
      expect.arrayContaining([
        'iot-registry twin show',
        'iot-registry twin update',
        'iot-registry query',
        'iot-registry device connection-string',
        'iot-registry policy connection-string',
        'iot-registry policy list',
      ]),
    );
  });

  it.each(commands.map((c) => [pathOf(c), c] as const))(
    '%s has a description, shown by its --help, and so has each option',
    (_path, command) => {
      expect(command.description().trim()).not.toBe('');
      // Help wraps long lines; compare the words.
      const words = (text: string) => text.replace(/\s+/g, ' ');
      expect(words(command.helpInformation())).toContain(words(command.description()));
      for (const option of command.options)
        expect(option.description.trim(), option.flags).not.toBe('');
    },
  );
});
