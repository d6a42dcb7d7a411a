/**
 * Scenario text into a Scenario: YAML parsed here (with YAML's merge keys, so entries can share
 * an anchor: `- {<<: *workstation, first: 9}`), then checked by parse-scenario.ts. Errors say
 * where: the line for bad YAML, the field for a bad value.
 */
import { CORE_SCHEMA, load, mergeTag, YAMLException } from 'js-yaml';
import { BUILTIN_SCENARIOS } from './builtin/index.js';
import { ScenarioError } from './field-reader.js';
import { parseScenario, type ParseOptions } from './parse-scenario.js';
import type { Scenario } from './types.js';

const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

export function scenarioFromYaml(text: string, opts: ParseOptions): Scenario {
  let doc: unknown;
  try {
    doc = load(text, { schema: SCHEMA });
  } catch (err) {
    if (err instanceof YAMLException && err.mark) {
      throw new ScenarioError('', `not valid YAML at line ${err.mark.line + 1}, column ${err.mark.column + 1}: ${err.reason}`);
    }
    throw new ScenarioError('', `not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseScenario(doc, opts);
}

export function builtinScenario(name: string, opts: ParseOptions): Scenario {
  const entry = BUILTIN_SCENARIOS[name];
  if (!entry) throw new ScenarioError('', `no built-in scenario "${name}" (there are ${Object.keys(BUILTIN_SCENARIOS).join(', ')})`);
  return scenarioFromYaml(entry.yaml, opts);
}
