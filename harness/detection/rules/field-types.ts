import type { estypes } from "@elastic/elasticsearch";

/** How Elasticsearch indexes one field, as far as queries over it are concerned. */
export interface FieldMapping {
  readonly type: string;
  /** Keyword values longer than this (in UTF-16 code units, as Java counts) are not indexed. */
  readonly ignoreAbove?: number;
  /** False for `index: false, doc_values: false`: queries on it fail. */
  readonly searchable: boolean;
}

/** The leaf fields and object paths of an index mapping, by their full dotted names. */
export class FieldTypes {
  private readonly leaves = new Map<string, FieldMapping>();
  private readonly objects = new Set<string>();
  private readonly dynamicStrings: FieldMapping;

  constructor(mapping: estypes.MappingTypeMapping) {
    this.walk(mapping.properties ?? {}, "");
    const template = (mapping.dynamic_templates ?? [])
      .flatMap((entry) => Object.values(entry))
      .find((t) => t?.match_mapping_type === "string");
    const dynamic = template?.mapping as { type?: string; ignore_above?: number } | undefined;
    this.dynamicStrings = {
      type: dynamic?.type ?? "text",
      searchable: true,
      ...(dynamic?.ignore_above === undefined ? {} : { ignoreAbove: dynamic.ignore_above }),
    };
  }

  /** The mapped leaf, if the mapping names one. */
  mapped(field: string): FieldMapping | undefined {
    return this.leaves.get(field);
  }

  isObject(field: string): boolean {
    return this.objects.has(field);
  }

  /**
   * What dynamic mapping makes of an unmapped field from its first value: date detection first
   * (Elasticsearch's default dynamic date formats), then the string template, long, float or boolean.
   */
  dynamic(value: unknown): FieldMapping {
    if (typeof value === "string") {
      return DYNAMIC_DATE.test(value) ? { type: "date", searchable: true } : this.dynamicStrings;
    }
    if (typeof value === "number")
      return { type: Number.isInteger(value) ? "long" : "float", searchable: true };
    if (typeof value === "boolean") return { type: "boolean", searchable: true };
    return this.dynamicStrings;
  }

  private walk(properties: Record<string, estypes.MappingProperty>, prefix: string): void {
    for (const [name, property] of Object.entries(properties)) {
      const path = `${prefix}${name}`;
      const nested = (property as { properties?: Record<string, estypes.MappingProperty> }).properties;
      if (nested) {
        this.objects.add(path);
        this.walk(nested, `${path}.`);
        continue;
      }
      const p = property as { type?: string; ignore_above?: number; index?: boolean; doc_values?: boolean };
      this.leaves.set(path, {
        type: p.type ?? "object",
        searchable: p.index !== false || p.doc_values !== false,
        ...(p.ignore_above === undefined ? {} : { ignoreAbove: p.ignore_above }),
      });
    }
  }
}

/** Strings dynamic mapping takes for dates (the default dynamic_date_formats, from a full day on). */
const DYNAMIC_DATE =
  /^(\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2}([.,]\d{1,9})?)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?|\d{4}\/\d{2}\/\d{2}( \d{2}:\d{2}:\d{2})?( [+-]\d{4})?)$/;
