'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTracking } from '../tracking-bridge';
import { callApi } from './api';

export function SignOutButton() {
  const tracking = useTracking();
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className="link-button"
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        await callApi('DELETE', '/api/session');
        tracking.signOut();
        setBusy(false);
        router.refresh();
      }}
    >
      Sign out
    </button>
  );
}
