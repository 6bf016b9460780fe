/**
 * VS Code settings files read as text (JSON with comments). Only for telling the user what an
 * untrusted workspace's settings ask for: VS Code hides restricted settings of an untrusted
 * workspace from the extension API entirely. Pure (no `vscode` import).
 */

/** JSON with comments (VS Code settings files) → JSON text: comments removed, strings kept. */
function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The string value of `key` in a VS Code settings file (settings.json or a .code-workspace), read as text. */
export function findStringSetting(jsoncText: string, key: string): string | undefined {
  const t = stripJsonComments(jsoncText);
  const re = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:\\s*("(?:[^"\\\\]|\\\\.)*")`);
  const m = re.exec(t);
  if (!m) return undefined;
  try {
    const v = JSON.parse(m[1]) as string;
    return v.trim() === '' ? undefined : v;
  } catch {
    return undefined;
  }
}
