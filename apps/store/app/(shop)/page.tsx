import { newSeries, topThisWeek } from '../../src/catalog/products';
import { ProductList } from '../../src/shop/ui/ProductList';
import { PromoBanner } from '../../src/shop/ui/PromoBanner';

export default function HomePage() {
  return (
    <>
      <PromoBanner
        promotion={{ id: 'winter-shells-2026', name: 'Winter shells', slot: 'home-hero' }}
        headline="Ready for the first snow"
        text="Shells, down and fleece from Northpeak and Fjellwear. Standard delivery is free from €50."
        href="/category/jackets"
        cta="Shop jackets"
      />
      <ProductList listName="top this week" title="Top this week" products={topThisWeek()} />
      <ProductList listName="new series" title="New series" products={newSeries()} />
    </>
  );
}
