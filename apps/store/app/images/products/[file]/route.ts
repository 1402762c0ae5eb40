import { productImageSvg } from '../../../../src/catalog/image';
import { getProduct } from '../../../../src/catalog/products';

interface Context {
  readonly params: Promise<{ file: string }>;
}

/** `/images/products/<id>.svg`: the product's generated image. */
export async function GET(_request: Request, { params }: Context): Promise<Response> {
  const { file } = await params;
  const product = file.endsWith('.svg') ? getProduct(file.slice(0, -'.svg'.length)) : undefined;
  if (product === undefined)
    return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
  return new Response(productImageSvg(product), {
    headers: {
      'content-type': 'image/svg+xml; charset=utf-8',
      'cache-control': 'public, max-age=86400',
      // The SVG is ours, but never let an image run script.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}
