import type { Metadata } from 'next';
import { SignInForm } from './sign-in-form.tsx';

export const metadata: Metadata = { title: 'Sign in · Flagship' };

export default function SignInPage() {
  return (
    <main id="main" className="narrow">
      <h1>Sign in</h1>
      <SignInForm />
    </main>
  );
}
