// Lists: the API answers one page `{object: "list", data, has_more}` and takes
// `starting_after=<id of the last row>` for the next. A `List` walks those pages for you.
import type { Page } from './types.js';

/** Fetches the page after the row with this id (the first page without one). */
export type PageFetcher<T> = (startingAfter: string | undefined) => Promise<Page<T>>;

/**
 * A list call: `for await (const row of list)` walks every row across pages, `firstPage()`
 * fetches one page, `pages()` walks page by page. Nothing is fetched until you ask.
 */
export class List<T> implements AsyncIterable<T> {
  readonly #fetchPage: PageFetcher<T>;
  readonly #start: string | undefined;
  readonly #cursorOf: ((row: T) => string) | undefined;

  /**
   * `cursorOf` names the id the API pages by (a row's `id`, a bulk action item's
   * `customer_id`); without it the list is one page (the API takes no `starting_after` there).
   */
  constructor(fetchPage: PageFetcher<T>, start: string | undefined, cursorOf: ((row: T) => string) | undefined) {
    this.#fetchPage = fetchPage;
    this.#start = start;
    this.#cursorOf = cursorOf;
  }

  /** The first page only (from `starting_after` when the call gave one). */
  firstPage(): Promise<Page<T>> {
    return this.#fetchPage(this.#start);
  }

  /** Every page, each fetched when the previous one is consumed. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let after = this.#start;
    for (;;) {
      const page = await this.#fetchPage(after);
      yield page;
      const last = page.data[page.data.length - 1];
      if (!this.#cursorOf || !page.has_more || last === undefined) return;
      after = this.#cursorOf(last);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Every row in one array (all pages, or the first `limit` rows). */
  async toArray({ limit = Infinity }: { limit?: number } = {}): Promise<T[]> {
    const out: T[] = [];
    if (limit <= 0) return out;
    for await (const row of this) {
      out.push(row);
      if (out.length >= limit) break;
    }
    return out;
  }
}
