/**
 * completion bash|zsh: a shell completion script, written from the command tree itself (every
 * command, option and choice as `--help` lists them), so it is always that of this version. The
 * script holds the tree as shell `case` tables and runs no blockplane process at each TAB.
 */
import { Argument, type Command, type Option } from "commander";
import type { CliContext } from "../context.ts";

/** One command of the tree: its path from the top ("" for blockplane itself) and what follows it. */
interface Node {
  path: string;
  commands: { name: string; description: string }[];
  options: { flags: string[]; description: string }[];
  /** Options that take a value: their flags, and the values to offer (none: any value). */
  values: { flags: string[]; choices: string[] }[];
}

const SHELLS = ["bash", "zsh"] as const;

function nodes(root: Command): Node[] {
  const found: Node[] = [];
  const visit = (command: Command, path: string) => {
    const help = command.createHelp();
    const options = [...help.visibleOptions(command), ...help.visibleGlobalOptions(command)];
    found.push({
      path,
      commands: [
        ...help.visibleCommands(command).map((c) => ({ name: c.name(), description: c.description() })),
        // The values of a first argument with choices ("completion bash") complete as words too.
        ...(command.registeredArguments[0]?.argChoices ?? []).map((name) => ({
          name,
          description: command.registeredArguments[0]?.description ?? "",
        })),
      ],
      options: options.map((o) => ({ flags: flagsOf(o), description: o.description })),
      values: options
        .filter((o) => o.required || o.optional)
        .map((o) => ({ flags: flagsOf(o), choices: o.argChoices ?? [] })),
    });
    for (const sub of command.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(root, "");
  return found;
}

function flagsOf(option: Option): string[] {
  return [option.long, option.short].filter((f): f is string => f !== undefined);
}

/** A word in single quotes, for either shell. */
function quoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** "volumes create|--saving": the key the value tables are looked up by. */
function valueCases(tree: Node[], body: (choices: string[]) => string): string {
  return tree
    .flatMap((n) =>
      n.values.map(
        (v) => `    ${v.flags.map((f) => quoted(`${n.path}|${f}`)).join("|")}) ${body(v.choices)} ;;`,
      ),
    )
    .join("\n");
}

export function bashScript(root: Command): string {
  const tree = nodes(root);
  const cases = (list: (n: Node) => string[]) =>
    tree
      .filter((n) => list(n).length > 0)
      .map((n) => `    ${quoted(n.path)}) echo ${quoted(list(n).join(" "))} ;;`)
      .join("\n");
  return `# bash completion for blockplane, written by "blockplane completion bash" from its commands.
# Load it in ~/.bashrc with:  source <(blockplane completion bash)
# or save it once:  blockplane completion bash > ~/.local/share/bash-completion/completions/blockplane

_blockplane_commands() {
  case "$1" in
${cases((n) => n.commands.map((c) => c.name))}
  esac
}

_blockplane_options() {
  case "$1" in
${cases((n) => n.options.flatMap((o) => o.flags))}
  esac
}

# Succeeds when option $2 of command $1 takes a value, printing the values to offer (if any).
_blockplane_values() {
  case "$1|$2" in
${valueCases(tree, (choices) => `echo ${quoted(choices.join(" "))}; return 0`)}
  esac
  return 1
}

_blockplane() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmdpath="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ $word == -* ]]; then
      # An option's value is not a command: step over it.
      if [[ $word != *=* ]] && _blockplane_values "$cmdpath" "$word" >/dev/null; then ((i++)); fi
      continue
    fi
    if [[ " $(_blockplane_commands "$cmdpath") " == *" $word "* ]]; then cmdpath=\${cmdpath:+$cmdpath }$word; fi
  done
  local values
  if ((COMP_CWORD > 1)) && [[ $prev == -* ]] && values=$(_blockplane_values "$cmdpath" "$prev"); then
    if [[ -n $values ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
  elif [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_blockplane_options "$cmdpath")" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$(_blockplane_commands "$cmdpath")" -- "$cur")
  fi
}

complete -F _blockplane blockplane
`;
}

export function zshScript(root: Command): string {
  const tree = nodes(root);
  const described = (list: (n: Node) => { name: string; description: string }[]) =>
    tree
      .filter((n) => list(n).length > 0)
      .map(
        (n) =>
          `    ${quoted(n.path)}) reply=(${list(n)
            .map((e) => quoted(`${e.name.replaceAll(":", "\\:")}:${e.description}`))
            .join(" ")}) ;;`,
      )
      .join("\n");
  return `#compdef blockplane
# zsh completion for blockplane, written by "blockplane completion zsh" from its commands.
# Load it in ~/.zshrc, after compinit, with:  source <(blockplane completion zsh)
# or save it once as _blockplane in a directory of $fpath.

_blockplane_commands() {
  reply=()
  case "$1" in
${described((n) => n.commands)}
  esac
}

_blockplane_options() {
  reply=()
  case "$1" in
${described((n) => n.options.flatMap((o) => o.flags.map((f) => ({ name: f, description: o.description }))))}
  esac
}

# Succeeds when option $2 of command $1 takes a value, with the values to offer (if any) in reply.
_blockplane_values() {
  reply=()
  case "$1|$2" in
${valueCases(tree, (choices) => `reply=(${choices.map(quoted).join(" ")}); return 0`)}
  esac
  return 1
}

_blockplane() {
  local cmdpath="" word i
  local -a reply
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    if [[ $word == -* ]]; then
      # An option's value is not a command: step over it.
      if [[ $word != *=* ]] && _blockplane_values "$cmdpath" "$word"; then ((i++)); fi
      continue
    fi
    _blockplane_commands "$cmdpath"
    if ((\${reply[(I)\${(b)word}:*]})); then cmdpath=\${cmdpath:+$cmdpath }$word; fi
  done
  if ((CURRENT > 2)) && [[ \${words[CURRENT-1]} == -* ]] && _blockplane_values "$cmdpath" "\${words[CURRENT-1]}"; then
    if ((\${#reply})); then compadd -a reply; else _files; fi
  elif [[ \${words[CURRENT]} == -* ]]; then
    _blockplane_options "$cmdpath"
    _describe -t options option reply
  else
    _blockplane_commands "$cmdpath"
    _describe -t commands command reply
  fi
}

if [[ \${funcstack[1]} == _blockplane ]]; then
  _blockplane "$@"
else
  compdef _blockplane blockplane
fi
`;
}

export function completionCommand(program: Command, ctx: CliContext): void {
  program
    .command("completion")
    .description("print a shell completion script: source <(blockplane completion bash)")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .action((shell: (typeof SHELLS)[number]) => {
      ctx.out(shell === "bash" ? bashScript(program) : zshScript(program));
    });
}
