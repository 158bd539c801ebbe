// What every resource shares: the core, and turning a list path into a `List`.
import type { Core, RequestOptions } from '../core.js';
import { List } from '../pagination.js';
import type { Answer, PathParams, PathWith, QueryParams } from '../types.js';

/** A row of the list answered at `P`. */
export type Row<P extends PathWith<'get'>> = Answer<P, 'get'> extends { data: (infer T)[] } ? T : never;

/** The query of the list at `P`, without the cursor the `List` drives. */
export type ListParams<P extends PathWith<'get'>> = Omit<QueryParams<P, 'get'>, 'starting_after'> & {
  /** Start after this row instead of at the top. */
  starting_after?: string;
};

export const byId = (row: { id: string }): string => row.id;

export abstract class Resource {
  protected readonly core: Core;
  constructor(core: Core) {
    this.core = core;
  }

  /** A `List` over the pages at `path`; `cursorOf` undefined for a one-page list. */
  protected paginate<P extends PathWith<'get'>>(
    path: P,
    pathParams: PathParams<P, 'get'> | undefined,
    query: ListParams<P> | undefined,
    options: RequestOptions | undefined,
    cursorOf: ((row: Row<P>) => string) | undefined,
  ): List<Row<P>> {
    const { starting_after: start, ...rest } = (query ?? {}) as { starting_after?: string };
    return new List<Row<P>>(
      async (after) => {
        const q = (after === undefined ? rest : { ...rest, starting_after: after }) as QueryParams<P, 'get'>;
        const page = await this.core.request('get', path, { path: pathParams, query: q }, options);
        return page as { object: string; data: Row<P>[]; has_more: boolean };
      },
      start,
      cursorOf,
    );
  }
}
