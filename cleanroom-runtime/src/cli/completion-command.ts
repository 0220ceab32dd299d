/**
 * `cleanroom completion bash|zsh`: a completion script generated from the command definitions themselves, so it
 * always offers exactly the commands and options this version has. zsh runs the bash function through
 * bashcompinit, which zsh ships for that purpose.
 */
import type { Command, Option } from 'commander';
import { examples } from './help';
import { CliError } from './participant/errors';

export const SHELLS = ['bash', 'zsh'] as const;

interface Entry {
  path: string;
  words: string[];
  /** Options followed by a value (a file, a name): after them the shell completes file names. */
  valued: string[];
}

function visibleOptions(command: Command): readonly Option[] {
  return (command.options as readonly Option[]).filter((o) => !o.hidden);
}

/** Every command path with the words that may follow it (subcommands, argument choices, options). */
export function completionEntries(program: Command, choices: Readonly<Record<string, readonly string[]>> = {}): Entry[] {
  const entries: Entry[] = [];
  const walk = (command: Command, path: string, inherited: readonly Option[]): void => {
    const options = [...visibleOptions(command), ...inherited];
    const flags = options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
    const subcommands = command.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map((c) => c.name());
    entries.push({
      path,
      words: [...subcommands, ...(choices[path] ?? []), ...flags, '--help'],
      valued: options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)),
    });
    for (const sub of command.commands) walk(sub, path ? `${path} ${sub.name()}` : sub.name(), path === '' ? options.filter((o) => o.long === '--no-color') : inherited);
  };
  walk(program, '', []);
  return entries;
}

const quote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

export function bashCompletion(program: Command, choices: Readonly<Record<string, readonly string[]>> = {}): string {
  const entries = completionEntries(program, choices);
  const cases = (pick: (e: Entry) => string[]) =>
    entries
      .filter((e) => pick(e).length > 0)
      .map((e) => `    ${quote(e.path)}) echo ${quote(pick(e).join(' '))} ;;`)
      .join('\n');
  const name = program.name();
  return `# ${name} completion for bash; zsh loads it through bashcompinit.
#   bash: source <(${name} completion bash)     (or save it to ~/.local/share/bash-completion/completions/${name})
#   zsh:  source <(${name} completion zsh)      (e.g. in ~/.zshrc)
_${name}_words() {
  case "$1" in
${cases((e) => e.words)}
  esac
}
_${name}_valued() {
  case "$1" in
${cases((e) => e.valued)}
  esac
}
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case " $(_${name}_words "$path") " in *" $w "*) path="\${path:+$path }$w" ;; esac
  done
  case " $(_${name}_valued "$path") " in *" $prev "*) COMPREPLY=(); return 0 ;; esac
  COMPREPLY=($(compgen -W "$(_${name}_words "$path")" -- "$cur"))
}
complete -o default -F _${name} ${name}
`;
}

export function zshCompletion(program: Command, choices: Readonly<Record<string, readonly string[]>> = {}): string {
  return `autoload -U +X bashcompinit && bashcompinit\n${bashCompletion(program, choices)}`;
}

export function registerCompletionCommand(program: Command, choices: Readonly<Record<string, readonly string[]>>): void {
  examples(program.command('completion'), ['source <(cleanroom completion bash)', 'echo \'source <(cleanroom completion zsh)\' >> ~/.zshrc'])
    .description('Print a shell completion script for bash or zsh: commands, subcommands, options and status views.')
    .argument('<shell>', SHELLS.join(' or '))
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletion(program, choices));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(program, choices));
      else throw new CliError(`no completion for ${JSON.stringify(shell)}: use ${SHELLS.join(' or ')}`);
    });
}
