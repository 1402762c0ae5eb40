import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getCategory, productsInCategory } from '../../../../src/catalog/products';
import { ProductList } from '../../../../src/shop/ui/ProductList';

interface Props {
  readonly params: Promise<{ id: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const category = getCategory((await params).id);
  return { title: category?.name ?? 'Not found' };
}

export default async function CategoryPage({ params }: Props) {
  const category = getCategory((await params).id);
  if (category === undefined) notFound();
  return (
    <>
      <h1>{category.name}</h1>
      <p className="lead">{category.tagline}</p>
      <ProductList
        listName={`category ${category.id}`}
        title={`All ${category.name.toLowerCase()}`}
        products={productsInCategory(category.id)}
      />
    </>
  );
}
