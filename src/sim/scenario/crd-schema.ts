/**
 * Checks a placement spec written in a scenario against the CRD's own structural schema (the
 * openAPIV3Schema the API server enforces), so that a scenario accepts exactly what `kubectl apply`
 * would, and says so with the field's path. The CEL rules are in placement-rules.ts.
 *
 * The subset of OpenAPI v3 the CRD uses: type, properties, required, additionalProperties, enum,
 * pattern, minLength/maxLength, minimum/maximum with exclusiveMinimum, items, maxItems. Unlike the
 * API server, which prunes unknown fields, unknown fields are errors here: in a what-if file they are
 * typos.
 */
import { ScenarioError, unknownFieldProblem } from './field-reader.js';

export interface OpenApiSchema {
  readonly type?: 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array';
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: OpenApiSchema | boolean;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly items?: OpenApiSchema;
  readonly maxItems?: number;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** Throws a ScenarioError naming the first field that breaks the schema. */
export function checkAgainstSchema(value: unknown, schema: OpenApiSchema, path: string): void {
  const fail = (problem: string): never => {
    throw new ScenarioError(path, problem);
  };
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`expected a mapping, got ${typeName(value)}`);
      const record = value as Record<string, unknown>;
      for (const key of schema.required ?? []) {
        if (record[key] === undefined) throw new ScenarioError(join(path, key), 'required field is missing');
      }
      const properties = schema.properties;
      for (const [key, v] of Object.entries(record)) {
        const sub = properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
        if (sub) checkAgainstSchema(v, sub, join(path, key));
        else if (properties && schema.additionalProperties !== true) throw new ScenarioError(join(path, key), unknownFieldProblem(key, Object.keys(properties)));
      }
      return;
    }
    case 'array': {
      if (!Array.isArray(value)) return fail(`expected a list, got ${typeName(value)}`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) fail(`at most ${schema.maxItems} items, got ${value.length}`);
      if (schema.items) value.forEach((v, i) => checkAgainstSchema(v, schema.items!, `${path}[${i}]`));
      return;
    }
    case 'string': {
      if (typeof value !== 'string') return fail(`expected a string, got ${typeName(value)}`);
      if (schema.minLength !== undefined && value.length < schema.minLength) fail(`must be at least ${schema.minLength} characters long`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) fail(`must be at most ${schema.maxLength} characters long`);
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) fail(`"${value}" does not match ${schema.pattern}`);
      break;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`expected a number, got ${typeName(value)}`);
      if (schema.type === 'integer' && !Number.isInteger(value)) fail(`expected a whole number, got ${value}`);
      const { minimum, maximum } = schema;
      if (minimum !== undefined && (schema.exclusiveMinimum ? value <= minimum : value < minimum)) {
        fail(`must be ${schema.exclusiveMinimum ? 'greater than' : 'at least'} ${minimum}, got ${value}`);
      }
      if (maximum !== undefined && (schema.exclusiveMaximum ? value >= maximum : value > maximum)) {
        fail(`must be ${schema.exclusiveMaximum ? 'less than' : 'at most'} ${maximum}, got ${value}`);
      }
      break;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail(`expected true or false, got ${typeName(value)}`);
      break;
    default:
      break;
  }
  if (schema.enum && !schema.enum.includes(value)) fail(`expected one of ${schema.enum.map(String).join(', ')}, got ${typeName(value)}`);
}

/** The spec schema inside a CRD object (the first version's openAPIV3Schema.properties.spec). */
export function placementSpecSchema(crd: unknown): OpenApiSchema {
  const versions = (crd as { spec?: { versions?: { schema?: { openAPIV3Schema?: OpenApiSchema } }[] } }).spec?.versions;
  const spec = versions?.[0]?.schema?.openAPIV3Schema?.properties?.spec;
  if (!spec) throw new Error('the OfflineFirstPlacement CRD has no spec schema');
  return spec;
}
