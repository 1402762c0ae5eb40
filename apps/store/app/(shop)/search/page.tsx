import type { Metadata } from 'next';
import { searchProducts, searchTerms } from '../../../src/catalog/products';
import { ProductList } from '../../../src/shop/ui/ProductList';
import { SearchTracker } from '../../../src/shop/ui/SearchTracker';

interface Props {
  readonly searchParams: Promise<{ q?: string | string[] }>;
}

function queryOf(q: string | string[] | undefined): string {
  return (Array.isArray(q) ? q[0] : q)?.slice(0, 200) ?? '';
}

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const query = queryOf((await searchParams).q);
  return { title: query ? `Search: ${query}` : 'Search' };
}

export default async function SearchPage({ searchParams }: Props) {
  const query = queryOf((await searchParams).q);
  const terms = searchTerms(query);
  const results = searchProducts(query);
  return (
    <>
      <h1>{query ? `Search results for “${query}”` : 'Search'}</h1>
      <p role="status">
        {terms.length === 0
          ? 'Type what you are looking for in the search box above.'
          : `${results.length} ${results.length === 1 ? 'product' : 'products'} found.`}
      </p>
      {results.length > 0 ? <ProductList listName="search results" title="Results" products={results} /> : null}
      <SearchTracker terms={terms} resultCount={results.length} />
    </>
  );
}
