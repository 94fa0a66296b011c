/**
 * Makes text that came from outside (a request path, a header, a parsed line) safe to put into an
 * error message or a log line: control characters are shown escaped, so a hostile value cannot
 * start a line of its own on a terminal or in a plain-text log, and anything past `max` characters
 * is cut, with the original length said, so a megabyte of input does not become a megabyte of log.
 * A cut never splits a surrogate pair.
 */
export function clip(text: string, max = 200): string {
  let end = text.length;
  if (end > max) {
    end = Math.max(0, max);
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
  }
  // C0 controls, DEL and C1 controls; U+2028/U+2029 end lines in some viewers too.
  const shown = text.slice(0, end).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, "0")}` : `\\x${code.toString(16).padStart(2, "0")}`;
  });
  return end === text.length ? shown : `${shown}…(${text.length} chars)`;
}
