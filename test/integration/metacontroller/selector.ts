/** metav1.LabelSelector matching (LabelSelectorAsSelector + Matches). */

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export type Labels = Readonly<Record<string, string>> | undefined;

/** A compiled selector; `empty` is true when it has no requirements (matches everything). */
export interface Selector {
  readonly empty: boolean;
  matches(labels: Labels): boolean;
  toString(): string;
}

export function compileSelector(selector: LabelSelector | null | undefined): Selector {
  if (selector === null || selector === undefined) {
    return { empty: true, matches: () => true, toString: () => "" };
  }
  const requirements: LabelSelectorRequirement[] = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]): LabelSelectorRequirement => ({
      key,
      operator: "In",
      values: [value],
    })),
    ...(selector.matchExpressions ?? []),
  ];
  for (const r of requirements) {
    if (!["In", "NotIn", "Exists", "DoesNotExist"].includes(r.operator)) {
      throw new Error(`"${r.operator}" is not a valid label selector operator`);
    }
    if ((r.operator === "In" || r.operator === "NotIn") && (r.values ?? []).length === 0) {
      throw new Error(`for 'in', 'notin' operators, values set can't be empty (key ${r.key})`);
    }
    if ((r.operator === "Exists" || r.operator === "DoesNotExist") && (r.values ?? []).length > 0) {
      throw new Error(`values set must be empty for exists and does not exist (key ${r.key})`);
    }
  }
  return {
    empty: requirements.length === 0,
    matches(labels: Labels): boolean {
      return requirements.every((r) => {
        const has = labels !== undefined && Object.hasOwn(labels, r.key);
        const value = has ? labels[r.key] : undefined;
        switch (r.operator) {
          case "In":
            return has && (r.values ?? []).includes(value as string);
          case "NotIn":
            return !has || !(r.values ?? []).includes(value as string);
          case "Exists":
            return has;
          case "DoesNotExist":
            return !has;
        }
      });
    },
    toString(): string {
      return requirements
        .map((r) => {
          switch (r.operator) {
            case "In":
              return (r.values ?? []).length === 1
                ? `${r.key}=${r.values?.[0] ?? ""}`
                : `${r.key} in (${(r.values ?? []).join(",")})`;
            case "NotIn":
              return `${r.key} notin (${(r.values ?? []).join(",")})`;
            case "Exists":
              return r.key;
            case "DoesNotExist":
              return `!${r.key}`;
          }
        })
        .join(",");
    },
  };
}
