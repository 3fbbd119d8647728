export function SectionPlaceholder({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section>
      <h1>{title}</h1>
      <div className="panel muted">{children}</div>
    </section>
  );
}
