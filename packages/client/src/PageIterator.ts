/** One page of a list, as the API answers it. */
export type Page<T> = { readonly data: readonly T[]; readonly nextCursor: string | null };

/** Fetches the page that starts at `cursor` (the first page when undefined). */
export type PageFetcher<T> = (cursor: string | undefined) => Promise<Page<T>>;

/**
 * A list, read lazily page by page following `nextCursor`: `for await (const d of client.deposits.list())` goes
 * through every item, fetching the next page only when the loop reaches it (a `break` fetches no more).
 */
export class PageIterator<T> implements AsyncIterable<T> {
  readonly #fetchPage: PageFetcher<T>;
  readonly #startCursor: string | undefined;

  /**
   * @param fetchPage fetches one page
   * @param startCursor where to start (a `nextCursor` kept from earlier) @default the first page
   */
  constructor(fetchPage: PageFetcher<T>, startCursor?: string) {
    this.#fetchPage = fetchPage;
    this.#startCursor = startCursor;
  }

  /** The pages, one request each, until the last (`nextCursor: null`). */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.#startCursor;
    for (;;) {
      const page = await this.#fetchPage(cursor);
      yield page;
      if (page.nextCursor === null) return;
      // A cursor that does not move would loop for ever: a broken server or proxy, never a longer list.
      if (page.nextCursor === cursor) throw new Error(`the list answered its own cursor as nextCursor: ${cursor}`);
      cursor = page.nextCursor;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Only the first page (with its `nextCursor`, to resume later with `{cursor}`). */
  async firstPage(): Promise<Page<T>> {
    return this.#fetchPage(this.#startCursor);
  }

  /**
   * Reads items into an array.
   * @param max stop after this many items @default every item
   */
  async toArray(max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const items: T[] = [];
    if (max <= 0) return items;
    for await (const item of this) {
      items.push(item);
      if (items.length >= max) break;
    }
    return items;
  }
}
