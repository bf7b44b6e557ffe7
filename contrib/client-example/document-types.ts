// What the API's generated types must say, checked by tsc with the example (tsconfig.json here): a
// document that loses a component, a field or the type of a body fails to compile.
import type { components, operations, paths } from './openapi.js';

type Schemas = components['schemas'];

/** true when A and B are the same type, unknown and any told apart. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

type JsonBody<Operation> = Operation extends { requestBody: { content: { 'application/json': infer Body } } }
  ? Body
  : never;
type Answer<Operation, Status extends number> = Operation extends {
  responses: Record<Status, { content: { 'application/json': infer Body } }>;
}
  ? Body
  : never;

export type DocumentTypes = [
  // The named components, with their fields.
  Expect<Equal<Schemas['Server']['hostname'], string>>,
  Expect<Equal<Schemas['Server']['status'], 'up' | 'down' | 'maintenance' | 'decommissioned'>>,
  Expect<Equal<Schemas['Server']['environment'], string | null>>,
  Expect<Equal<Schemas['Server']['tags'], string[]>>,
  // A list gives each server with what was observed of it; GET by id the versioned server alone.
  Expect<Equal<Schemas['ServerList']['servers'], Schemas['ListedServer'][]>>,
  Expect<Equal<Schemas['ListedServer']['last_seen_at'], string | null>>,
  Expect<Equal<Exclude<keyof Schemas['ListedServer'], keyof Schemas['Server']>, 'last_seen_at'>>,
  Expect<Equal<Schemas['Server']['managed_by'], string | null>>,
  // The apply takes its JSON body, and answers with its result.
  Expect<Equal<JsonBody<operations['applyServers']>, Schemas['ApplyRequest']>>,
  Expect<Equal<Answer<operations['applyServers'], 200>, Schemas['ApplyResult']>>,
  Expect<Equal<Schemas['ServerInput']['hostname'], string>>,
  Expect<Equal<Schemas['ServerPatch']['tags'], string[] | null | undefined>>,
  Expect<Equal<Schemas['Error']['code'], string>>,
  Expect<Equal<Schemas['Change']['action'], 'create' | 'update' | 'delete'>>,
  // The summary's counts, and those of the custom fields `by` names (by_cf_<name>), which make its type
  // an index signature: a count lost from the document would take the index's type.
  Expect<Equal<Schemas['Summary']['total'] extends number ? true : false, true>>,
  Expect<Equal<Schemas['Summary'][`by_cf_${string}`], Record<string, number>>>,
  // POST takes one server or an array of them, not unknown; it answers with what it was given.
  Expect<Equal<JsonBody<operations['createServers']>, Schemas['ServerInput'] | Schemas['ServerInput'][]>>,
  Expect<Equal<Answer<operations['createServers'], 201>, Schemas['Server'] | Schemas['Server'][]>>,
  Expect<Equal<JsonBody<operations['replaceServer']>, Schemas['ServerInput']>>,
  Expect<Equal<JsonBody<operations['patchServer']>, Schemas['ServerPatch']>>,
  Expect<
    Equal<
      NonNullable<operations['patchServer']['requestBody']>['content']['application/merge-patch+json'],
      Schemas['ServerPatch']
    >
  >,
  Expect<Equal<Answer<operations['getServer'], 404>, Schemas['Error']>>,
  Expect<Equal<keyof paths, keyof paths & `/${string}`>>,
];
