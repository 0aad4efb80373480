/**
 * The first object key that appears twice in the same object of a JSON text, or undefined. `JSON.parse` keeps the
 * last of two equal keys silently; a money API must refuse such a body instead of guessing which value was meant.
 *
 * The text must already be valid JSON (parse it first): this scanner only tracks strings, braces, colons and commas.
 * @param text a valid JSON document
 * @returns the repeated key (decoded), or undefined when every object's keys are distinct
 */
export function findDuplicateKey(text: string): string | undefined {
  // One frame per open object or array; an object frame holds the keys seen so far and whether a key comes next.
  type Frame = { keys: Set<string> | undefined; expectKey: boolean };
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined && top.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
    } else if (c === 0x7b /* { */) stack.push({ keys: new Set(), expectKey: true });
    else if (c === 0x5b /* [ */) stack.push({ keys: undefined, expectKey: false });
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined) top.expectKey = true;
    }
  }
  return undefined;
}
