import type { Metadata } from 'next';
import Image from 'next/image';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { productImagePath } from '../../../../src/catalog/image';
import { formatPrice, getCategory, getProduct, recommendationsFor } from '../../../../src/catalog/products';
import { AddToCart } from '../../../../src/shop/ui/AddToCart';
import { ProductList } from '../../../../src/shop/ui/ProductList';
import { ProductViewTracker } from '../../../../src/shop/ui/ProductViewTracker';

interface Props {
  readonly params: Promise<{ id: string }>;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const product = getProduct((await params).id);
  return { title: product?.name ?? 'Not found', description: product?.description };
}

export default async function ProductPage({ params }: Props) {
  const product = getProduct((await params).id);
  if (product === undefined) notFound();
  const category = getCategory(product.category);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link href="/">Home</Link>
          </li>
          {category ? (
            <li>
              <Link href={`/category/${category.id}`}>{category.name}</Link>
            </li>
          ) : null}
          <li aria-current="page">{product.name}</li>
        </ol>
      </nav>
      <article className="product">
        <Image
          src={productImagePath(product.id)}
          alt={`${product.name} by ${product.brand}`}
          width={440}
          height={440}
          priority
        />
        <div className="product-info">
          <p className="card-brand">{product.brand}</p>
          <h1>{product.name}</h1>
          <p className="price">{formatPrice(product.priceMinor)}</p>
          <p>{product.description}</p>
          <AddToCart product={product} />
        </div>
      </article>
      <ProductList listName="recommendations" title="You may also like" products={recommendationsFor(product.id)} />
      <ProductViewTracker product={product} />
    </>
  );
}
