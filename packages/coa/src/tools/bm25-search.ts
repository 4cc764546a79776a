/**
 * BM25 search over a user's document collection, as a `Tool` (the paper's
 * Wikipedia search, without its Sentence-BERT re-ranker). Ranking is
 * MiniSearch's (MIT), a maintained BM25+ index; this file only adapts it.
 */
import MiniSearch from 'minisearch';
import type { Tool } from './types.js';

/** One searchable document. */
export interface SearchDocument {
  id: string;
  title?: string;
  text: string;
}

/** Options of `bm25SearchTool`. */
export interface Bm25SearchOptions {
  /** Tool name; default `Wiki`. */
  name?: string;
  /** What a hit returns: the document text (default), its title, or its id. */
  returns?: 'text' | 'title' | 'id';
  /** Weight of title matches relative to text. Default 2. */
  titleBoost?: number;
  /** BM25 parameters (MiniSearch defaults: k 1.2, b 0.7, d 0.5). */
  bm25?: { k: number; b: number; d: number };
}

/** A search tool with a direct `search` for inspection. */
export interface Bm25SearchTool extends Tool {
  /** Ranked hits, best first. */
  search(query: string, k?: number): { id: string; score: number; title?: string; text: string }[];
}

/**
 * Indexes `docs` and returns a tool answering `[query -Wiki-> y1]` with the
 * best document. The option may be a 1-based rank (`-Wiki(2)->`).
 *
 * @example
 * const wiki = bm25SearchTool([{ id: 'a', title: 'Alien', text: 'Alien is a 1979 film directed by Ridley Scott.' }]);
 * await wiki.call('director of Alien'); // 'Alien is a 1979 film directed by Ridley Scott.'
 */
export function bm25SearchTool(
  docs: readonly SearchDocument[],
  opts: Bm25SearchOptions = {},
): Bm25SearchTool {
  const ids = new Set<string>();
  for (const d of docs) {
    if (ids.has(d.id)) throw new Error(`bm25SearchTool: duplicate document id "${d.id}"`);
    ids.add(d.id);
  }
  const index = new MiniSearch<SearchDocument>({
    fields: ['title', 'text'],
    storeFields: ['title', 'text'],
    searchOptions: { boost: { title: opts.titleBoost ?? 2 }, ...(opts.bm25 ? { bm25: opts.bm25 } : {}) },
  });
  index.addAll(docs.map((d) => ({ ...d, title: d.title ?? '' })));
  const search = (query: string, k = 5) =>
    index
      .search(query, { combineWith: 'OR' })
      .slice(0, k)
      .map((h) => ({
        id: String(h.id),
        score: h.score,
        title: h.title as string | undefined,
        text: h.text as string,
      }));
  const returns = opts.returns ?? 'text';
  return {
    name: opts.name ?? 'Wiki',
    description: 'search the document collection and return the best match',
    search,
    async call(arg, option, signal) {
      signal?.throwIfAborted();
      const rank = option && /^\d+$/.test(option) ? Number(option) : 1;
      const hits = search(String(arg), rank);
      const hit = hits[rank - 1];
      if (!hit) throw new Error(`no document matches "${arg}"`);
      return returns === 'id' ? hit.id : returns === 'title' ? (hit.title ?? hit.id) : hit.text;
    },
  };
}
