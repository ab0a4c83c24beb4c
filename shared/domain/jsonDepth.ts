/**
 * How deeply a parsed JSON value nests (a scalar is 0, `[]` and `{}` are 1), counted without
 * recursion and given up on as soon as it passes `limit`: `JSON.parse` accepts nesting far
 * deeper than any recursive walk (zod, `JSON.stringify`, canonical hashing) survives, so the
 * depth must be known before anything recursive touches the value. Returns `limit + 1` for
 * anything deeper than `limit`.
 */
const jsonDepth = (value: unknown, limit: number): number => {
  let deepest = 0;
  const stack: { readonly node: unknown; readonly depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || typeof node !== 'object') continue;
    const level = depth + 1;
    if (level > limit) return limit + 1;
    if (level > deepest) deepest = level;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push({ node: child, depth: level });
    }
  }
  return deepest;
};

export { jsonDepth };
