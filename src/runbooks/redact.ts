// Removes credentials from command output before it is stored or posted. Known secret values are
// replaced wherever they appear; the patterns catch credentials we were never told about (a password
// on a process's command line, in a config file, in a container's environment).
// Pure: no imports, no I/O, so the core and every adapter can share it.

export const REDACTED = '[REDACTED]';

interface Rule {
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

// A token: a double- or single-quoted string, or a run of non-space characters.
const TOKEN = `(?:"[^"\\n]*"|'[^'\\n]*'|[^\\s"']\\S*)`;

const RULES: readonly Rule[] = [
  // PEM private keys, also when the output was cut before the END line.
  {
    pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    replace: (_m, kind) =>
      `-----BEGIN ${kind}PRIVATE KEY-----\n${REDACTED}\n-----END ${kind}PRIVATE KEY-----`,
  },
  // redis://user:password@host — the user name is not a secret and helps diagnosis.
  {
    pattern: /\b(rediss?:\/\/[^\s:@/]*:)[^\s@]+@/gi,
    replace: (_m, prefix) => `${prefix}${REDACTED}@`,
  },
  // The same in any other URL. No `/`, `?` or `#` in the password: `http://h:80/p?to=a@b` is a port.
  {
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/?#]+@/gi,
    replace: (_m, prefix) => `${prefix}${REDACTED}@`,
  },
  // Slack incoming webhooks, workflow and trigger URLs: the path is the credential.
  {
    pattern: /\b(https?:\/\/hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/)[\w/-]+/gi,
    replace: (_m, prefix) => `${prefix}${REDACTED}`,
  },
  // Authorization headers as curl -v prints them, in `-H "…"`, or as JSON. The scheme is required:
  // without it "Authorization failed for …" in a log would lose a word.
  {
    pattern: /\b(Authorization["']?[ \t]*[:=][ \t]*["']?(?:Basic|Bearer|Token)[ \t]+)[^\s"',]+/gi,
    replace: (_m, prefix) => `${prefix}${REDACTED}`,
  },
  // curl's `-u user:password` (also `-su`, `--user=`), only on a curl command line: elsewhere `-u`
  // is `runuser -u redis` or `sort -u`. A quoted pair loses everything after the colon.
  {
    pattern:
      /(\bcurl\b[^\n]*?[ \t](?:-[A-Za-z]*u[ \t]*|--user(?:[ \t]+|=)))(?:"([^"\n:]*):[^"\n]*"|'([^'\n:]*):[^'\n]*'|([^\s:"']*):[^\s"']+)/g,
    replace: (_m, prefix, dq, sq, bare) =>
      typeof dq === 'string'
        ? `${prefix}"${dq}:${REDACTED}"`
        : typeof sq === 'string'
          ? `${prefix}'${sq}:${REDACTED}'`
          : `${prefix}${bare}:${REDACTED}`,
  },
  // Options that carry a password as their value: `--pass pw`, `--requirepass=pw`.
  {
    pattern: new RegExp(`(--(?:pass|password|requirepass|masterauth))(=|[ \\t]+)${TOKEN}`, 'gi'),
    replace: (_m, flag, sep) => `${flag}${sep}${REDACTED}`,
  },
  // An ACL rule's password or hash: `user app on >pw ~* +@all` (a config line, a `--user` argument,
  // ACL LIST). Only within a rule: `>` elsewhere is a shell redirection.
  {
    pattern: /\buser[ \t]+(?:\\?["'])?[^\s"'\\]+[ \t][^\n]*/g,
    replace: (rule) => rule.replace(/(^|[ \t"'])([<>])[^\s"'\\]+/g, `$1$2${REDACTED}`),
  },
  { pattern: /(^|[\s"'])([#!])[0-9a-f]{64}\b/g, replace: (_m, pre, sign) => `${pre}${sign}${REDACTED}` },
  // `-a pw` only on a redis-cli command line: elsewhere `-a` is `ls -a` or `uname -a`.
  {
    pattern: new RegExp(`(\\bredis-cli\\b[^\\n]*?[ \\t]-a[ \\t]+)${TOKEN}`, 'g'),
    replace: (_m, prefix) => `${prefix}${REDACTED}`,
  },
  // Config lines and CONFIG GET output (which puts the value on the next line). One line break at
  // most: an empty value must not take the next key's name with it (CONFIG GET's order is random).
  {
    pattern: new RegExp(
      `\\b(requirepass|masterauth)(["']?(?:[ \\t]+|[ \\t]*\\r?\\n)(?:\\d+\\)[ \\t]+)?)${TOKEN}`,
      'gi',
    ),
    replace: (_m, key, sep) => `${key}${sep}${REDACTED}`,
  },
  // AUTH [user] password, as typed or as MONITOR prints it ("AUTH" "pw"). Not redis-cli's own
  // `AUTH failed: WRONGPASS …`, nor the server's `AUTH <password> called without …`: analyzers need those.
  {
    pattern: new RegExp(`(\\bAUTH"?[ \\t]+)(?!failed\\b|<password>)${TOKEN}(?:[ \\t]+${TOKEN})?`, 'g'),
    replace: (_m, prefix) => `${prefix}${REDACTED}`,
  },
  // Environment assignments such as REDISCLI_AUTH=… or REDIS_PASSWORD=… (docker inspect's Env), also
  // quoted as `export -p` prints them. A quoted value must end where a value ends: in a JSON list,
  // `"A_TOKEN=", "PATH=…"` is an empty value, not a quoted one that swallows the next element.
  {
    pattern:
      /\b([A-Z][A-Z0-9_]*(?:PASSWORD|PASSWD|PASS|SECRET|TOKEN|AUTH|API_KEY|APIKEY))=(?:"[^"\n]*"(?=[\s;,)\]}]|$)|'[^'\n]*'(?=[\s;,)\]}]|$)|[^\s"',]+)/g,
    replace: (_m, name) => `${name}=${REDACTED}`,
  },
  // Slack tokens.
  { pattern: /\bxox[a-z]-[A-Za-z0-9-]+/g, replace: () => REDACTED },
  { pattern: /\bxapp-[A-Za-z0-9-]+/g, replace: () => REDACTED },
];

/**
 * Replaces every known secret value and every recognisable credential in `text` with [REDACTED].
 * `cut`: the text was truncated, so a secret may have lost its end at the cut; a tail that starts
 * a known secret is redacted too.
 */
export function redact(text: string, secrets: readonly string[], opts: { cut?: boolean } = {}): string {
  let out = redactKnown(text, secrets, opts);
  for (const rule of RULES) out = out.replace(rule.pattern, rule.replace);
  return out;
}

/**
 * Replaces known secret values only, no pattern: for text an analyzer has yet to read, where a
 * pattern could change what it matches. `cut` as for redact().
 */
export function redactKnown(text: string, secrets: readonly string[], opts: { cut?: boolean } = {}): string {
  // Also as JSON, redis-cli and docker inspect escape it: a `"` or `\` in a password must not save it.
  const forms = secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  // Longest first, so a secret that contains another is removed whole.
  const known = [...new Set(forms.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of known) out = out.split(secret).join(REDACTED);
  if (opts.cut) {
    for (const secret of known) {
      for (let n = Math.min(secret.length - 1, out.length); n >= 2; n--) {
        if (out.endsWith(secret.slice(0, n))) {
          out = `${out.slice(0, out.length - n)}${REDACTED}`;
          break;
        }
      }
    }
  }
  return out;
}

// Flags whose next argv element is a password, and JSON keys whose value is one.
const SECRET_FLAG = /^(?:--?(?:pass|password|requirepass|masterauth)|requirepass|masterauth)$/i;
const SECRET_KEY = /(?:password|passwd|secret|token|requirepass|masterauth)$/i;

/**
 * Redacts every string inside parsed JSON (such as `docker inspect` output). Argv arrays are read
 * as such: ["redis-server", "--requirepass", "pw"] keeps its shape and loses "pw".
 */
export function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      const prev: unknown = i > 0 ? value[i - 1] : undefined;
      if (typeof item === 'string' && typeof prev === 'string' && SECRET_FLAG.test(prev)) return REDACTED;
      return redactValue(item, secrets);
    });
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] =
        typeof v === 'string' && v !== '' && SECRET_KEY.test(key) ? REDACTED : redactValue(v, secrets);
    }
    return out;
  }
  return value;
}
