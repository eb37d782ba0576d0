/**
 * GitHub's heading anchors (github-slugger): lower case, punctuation other than `-` and `_`
 * dropped, spaces become `-`; a repeated slug gets `-1`, `-2`, ... in document order. Used by the
 * tests that check links into the docs.
 */
export function githubAnchors(headings: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return headings.map((heading) => {
    const slug = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    return repeats === 0 ? slug : `${slug}-${repeats}`;
  });
}
