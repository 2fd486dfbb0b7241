// The console's requests: the typed client (@coalition-gateway/client, the npm workspace in
// packages/client) sending to this gateway's /graphql with the session's credential and the
// console's language.
import { createClient, GatewayError, type GatewayErrorEntry, type Operation, type Problem } from '@coalition-gateway/client';
import { language } from './i18n.js';
import { currentSession } from './session.js';

export { GatewayError as ApiError, type GatewayErrorEntry as ServerError, type Problem };

const gateway = createClient({ url: '/graphql', credential: () => currentSession()?.credential, language });

export function request<R, V>(operation: Operation<R, V>, variables: V): Promise<R> {
  return gateway.request(operation, variables);
}
