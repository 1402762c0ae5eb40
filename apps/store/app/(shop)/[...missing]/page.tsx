import { notFound } from 'next/navigation';

/**
 * Any URL no route matches lands here, inside the shop's layout, so it gets the shop's 404
 * ((shop)/not-found.tsx) with the header and the way back, rather than a bare page from the root layout.
 */
export default function Missing(): never {
  notFound();
}
