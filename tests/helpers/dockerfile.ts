/** One Dockerfile instruction, its continuation lines joined. */
export interface Instruction {
  line: number;
  /** Upper-case keyword: FROM, RUN, COPY ... */
  keyword: string;
  args: string;
}

export interface Stage {
  name: string | undefined;
  /** The image reference as written, such as `alpine:${ALPINE_VERSION}`. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Map<string, string | undefined>;
  stages: Stage[];
}

/** Parses a Dockerfile: comments dropped, `\` continuations joined, instructions grouped by stage. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (pending === undefined && (trimmed === '' || trimmed.startsWith('#'))) {
      return;
    }
    if (pending !== undefined && trimmed.startsWith('#')) {
      return;
    }
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending === undefined ? { line: index + 1, text: part } : { ...pending, text: `${pending.text} ${part}` };
    if (!continued) {
      const match = /^(\S+)\s*(.*)$/.exec(pending.text);
      if (match?.[1] !== undefined) {
        instructions.push({ line: pending.line, keyword: match[1].toUpperCase(), args: match[2] ?? '' });
      }
      pending = undefined;
    }
  });

  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = instruction.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [key = '', value] = instruction.args.split('=', 2);
        globalArgs.set(key, value);
      }
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** `ENV A=1 B=2` as pairs; also the legacy `ENV A 1`. */
export function envPairs(args: string): [string, string][] {
  if (!/^\S+=/.test(args)) {
    const [key = '', ...rest] = args.split(/\s+/);
    return [[key, rest.join(' ')]];
  }
  return [...args.matchAll(/(\S+?)=("[^"]*"|\S*)/g)].map((m) => [m[1] ?? '', (m[2] ?? '').replace(/^"|"$/g, '')]);
}

function resolveArgs(reference: string, args: Map<string, string | undefined>): string {
  return reference.replace(/\$\{?(\w+)\}?/g, (_, name: string) => args.get(name) ?? `\${${name}}`);
}

const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY)/i;
const CREDENTIALS_IN_URL = /:\/\/[^/\s:@]+:[^/\s@]+@/;

/**
 * The image policy, as a list of problems (empty when the Dockerfile meets it): two named stages,
 * `builder` then `runtime`, on a pinned Alpine release; a runtime that runs as a numeric non-root
 * user, exposes 5000, has a HEALTHCHECK and an exec-form CMD; no ADD; no secrets in ENV or ARG.
 */
export function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  const file = parseDockerfile(text);
  const names = file.stages.map((s) => s.name);
  if (JSON.stringify(names) !== JSON.stringify(['builder', 'runtime'])) {
    problems.push(`stages must be "builder" then "runtime", found ${JSON.stringify(names)}`);
  }
  for (const stage of file.stages) {
    const image = resolveArgs(stage.from, file.globalArgs);
    if (!/^alpine:\d+\.\d+(\.\d+)?(@sha256:[0-9a-f]{64})?$/.test(image)) {
      problems.push(`stage ${String(stage.name)} must be based on a pinned Alpine release, not ${image}`);
    }
  }
  const all = file.stages.flatMap((s) => s.instructions);
  for (const instruction of all.filter((i) => i.keyword === 'ADD')) {
    problems.push(`line ${instruction.line}: ADD is not allowed, use COPY`);
  }
  const declared = [
    ...[...file.globalArgs].map(([key, value]) => ({ key, value: value ?? '', kind: 'ARG' })),
    ...all
      .filter((i) => i.keyword === 'ARG')
      .map((i) => {
        const [key = '', value = ''] = i.args.split('=', 2);
        return { key, value, kind: 'ARG' };
      }),
    ...all
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => envPairs(i.args).map(([key, value]) => ({ key, value, kind: 'ENV' }))),
  ];
  for (const { key, value, kind } of declared) {
    if (SECRET_NAME.test(key) || CREDENTIALS_IN_URL.test(value)) {
      problems.push(`${kind} ${key} looks like a secret: pass secrets at run time, never in the image`);
    }
  }

  const runtime = file.stages.at(-1);
  const last = (keyword: string) => runtime?.instructions.filter((i) => i.keyword === keyword).at(-1);
  const user = last('USER')?.args;
  if (user === undefined || !/^\d+(:\d+)?$/.test(user) || /^0(:|$)/.test(user)) {
    problems.push(`the runtime's last USER must be a numeric, non-root UID, found ${String(user)}`);
  }
  if (!(last('EXPOSE')?.args.split(/\s+/) ?? []).includes('5000')) {
    problems.push('the runtime must EXPOSE 5000');
  }
  if (last('HEALTHCHECK') === undefined) {
    problems.push('the runtime needs a HEALTHCHECK');
  }
  if (last('CMD')?.args.startsWith('[') !== true) {
    problems.push('the runtime needs an exec-form CMD (a JSON array), so that signals reach node');
  }
  return problems;
}
