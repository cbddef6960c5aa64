const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * False for a string holding a lone surrogate ("\ud800" from a JSON escape): it has no UTF-8 form,
 * so Node would store U+FFFD in its place and two different names would become one.
 */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
