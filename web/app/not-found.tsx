export default function NotFound() {
  return (
    <main id="main">
      <h1>Not found</h1>
      <p>There is no such page, or the thing it shows no longer exists.</p>
      <a href="/projects">Back to projects</a>
    </main>
  );
}
