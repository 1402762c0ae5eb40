import Image from 'next/image';
import Link from 'next/link';
import { productImagePath } from '../../catalog/image';
import { formatPrice, type Product } from '../../catalog/products';

/** One product in a grid: image, brand, name and price, all one link. */
export function ProductCard({ product, onClick }: { readonly product: Product; readonly onClick?: () => void }) {
  return (
    <Link href={`/product/${product.id}`} className="card" onClick={onClick}>
      {/* Decorative here: the link's text names the product. */}
      <Image src={productImagePath(product.id)} alt="" width={220} height={220} />
      <span className="card-brand">{product.brand}</span>
      <span className="card-name">{product.name}</span>
      <span className="card-price">{formatPrice(product.priceMinor)}</span>
    </Link>
  );
}
