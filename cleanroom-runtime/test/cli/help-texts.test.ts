/** Every command's --help text: complete sentences, no wording slips, no paths of the machine it runs on. */
import { Command } from 'commander';
import { registerCommands } from '../../src/cli/commands';

function allCommands(command: Command, prefix = 'cleanroom'): Array<{ name: string; command: Command }> {
  return command.commands.flatMap((sub) => {
    const name = `${prefix} ${sub.name()}`;
    return [{ name, command: sub }, ...allCommands(sub, name)];
  });
}

const program = new Command('cleanroom');
registerCommands(program);
const commands = allCommands(program);

test('every command is reached', () => {
  expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(['cleanroom data update', 'cleanroom code delete', 'cleanroom table show', 'cleanroom runtime serve', 'cleanroom demo']));
});

test.each(commands.map((c) => [c.name, c.command] as const))('%s --help reads well', (_name, command) => {
  const description = command.description();
  expect(description).toMatch(/^[A-Z].*\.$/s);
  const help = command.helpInformation();
  // "Update your a dataset" came from gluing a verb phrase to an article.
  expect(help).not.toMatch(/\byour (a|an|the)\b/);
  expect(help).not.toMatch(/\b(\w+) \1\b/i);
  expect(help).not.toContain(process.cwd());
});

test('update explains that omitted fields are kept; delete offers no fields to set', () => {
  const byName = (name: string) => commands.find((c) => c.name === name)!.command;
  const optionHelp = (name: string, flag: string) => byName(name).options.find((o) => o.long === flag)?.description;
  expect(optionHelp('cleanroom data update', '--description')).toMatch(/keep the current one; "" clears it/);
  expect(optionHelp('cleanroom code update', '--description')).toMatch(/keep the current one; "" clears it/);
  expect(optionHelp('cleanroom code update', '--default-params')).toMatch(/keep the current ones; \{\} clears them/);
  for (const name of ['cleanroom data delete', 'cleanroom code delete']) {
    const flags = byName(name).options.map((o) => o.long);
    for (const flag of ['--description', '--location', '--format', '--file', '--default-params']) expect(flags).not.toContain(flag);
  }
});

test('every command that runs shows examples; options a command cannot run without are marked required', () => {
  const leaves = commands.filter((c) => c.command.commands.length === 0);
  expect(leaves.filter((c) => !/\nExamples:\n(  \$ [^\n]*\bcleanroom [^\n]*\n)+/.test(helpText(c.command))).map((c) => c.name)).toEqual([]);
  const requiredOptions: Array<[string, string]> = [
    ['cleanroom data register', '--location'],
    ['cleanroom data register', '--format'],
    ['cleanroom code register', '--file'],
    ['cleanroom code approve', '--hash'],
    ['cleanroom code reject', '--reason'],
    ['cleanroom job submit', '--code'],
    ['cleanroom job submit', '--compute'],
  ];
  for (const [name, flag] of requiredOptions) {
    expect(commands.find((c) => c.name === name)!.command.options.find((o) => o.long === flag)?.description).toMatch(/\(required\)$/);
  }
  expect(commands.find((c) => c.name === 'cleanroom code approve')!.command.options.find((o) => o.long === '--reason')?.description).not.toMatch(/required/);
});

/** The full --help text, with the sections added after the options. */
function helpText(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (t) => (text += t) });
  command.outputHelp();
  return text;
}
