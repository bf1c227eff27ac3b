/**
 * zod types an optional field as `T | undefined`, but its output never holds a key set to
 * undefined: absent stays absent. This states that for `exactOptionalPropertyTypes`, so parsed
 * specs can be spread into Kubernetes types without field-by-field copying.
 */
export type Defined<T> = T extends readonly (infer Item)[]
  ? Defined<Item>[]
  : T extends object
    ? { [K in keyof T]: Defined<Exclude<T[K], undefined>> }
    : T;

export function defined<T>(value: T): Defined<T> {
  return value as Defined<T>;
}
