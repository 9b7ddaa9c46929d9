/**
 * The OAuth token endpoint, refresh-token grant only (zendesk-api.md §1 "OAuth details"): a
 * successful refresh returns a new access and refresh token and deletes the previous ones.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Authenticator } from '../authentication.js';

const refreshGrant = z.object({
  grant_type: z.literal('refresh_token'),
  refresh_token: z.string(),
  client_id: z.string(),
  client_secret: z.string(),
});

export function registerOAuthRoutes(app: FastifyInstance, authenticator: Authenticator): void {
  app.post('/oauth/tokens', async (request, reply) => {
    const parsed = refreshGrant.safeParse(request.body);
    if (!parsed.success) {
      return reply
        .code(400)
        .send({ error: 'unsupported_grant_type', error_description: 'Only refresh_token is served' });
    }
    const grant = authenticator.refresh(parsed.data.client_id, parsed.data.client_secret, parsed.data.refresh_token);
    if (grant === undefined) {
      return reply.code(401).send({ error: 'invalid_grant', error_description: 'The refresh token is not valid' });
    }
    return grant;
  });
}
