/**
 * Blob listing, once. Typed structurally (what `ContainerClient` from `@azure/storage-blob` offers)
 * so this package needs no storage SDK at run time; callers pass their own client.
 */
export interface ListableContainer {
  listBlobsFlat(options?: { prefix?: string }): AsyncIterable<{ readonly name: string }>;
}

/** Every blob name in the container (or under `prefix`), sorted (Azure lists in name order already). */
export async function listBlobNames(container: ListableContainer, prefix?: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat(prefix === undefined ? {} : { prefix }))
    names.push(blob.name);
  return names.sort();
}
