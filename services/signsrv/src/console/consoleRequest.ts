import { type ConsoleSession, consoleActor } from '@wallet/console-auth';
import { WalletError } from '@wallet/errors';
import { type Principal, signingControls, userPrincipal } from '@wallet/payout';
import type { FastifyRequest } from 'fastify';
import type { ConsoleDeps } from './ConsoleDeps.js';
import type { Frame, Section } from './layout.js';
import type { FormFields } from './readForm.js';

// What the console's hooks learn about a request, kept beside it (no global augmentation of fastify's types).
const sessions = new WeakMap<FastifyRequest, ConsoleSession>();
const forms = new WeakMap<FastifyRequest, FormFields>();

/** Records the request's live session (the session hook). */
export function setSession(request: FastifyRequest, session: ConsoleSession): void {
  sessions.set(request, session);
}

/** The request's session, when it has one (error pages). */
export function sessionIfAny(request: FastifyRequest): ConsoleSession | undefined {
  return sessions.get(request);
}

/**
 * The request's session: every route behind the session hook has one.
 * @throws WalletError UNAUTHENTICATED when the route is not behind the hook (a wiring mistake)
 */
export function sessionOf(request: FastifyRequest): ConsoleSession {
  const session = sessions.get(request);
  if (!session) throw new WalletError('UNAUTHENTICATED', 'no valid console session', { details: { reason: 'no_session' } });
  return session;
}

/** Records a POST's form, once its CSRF token has been checked. */
export function setForm(request: FastifyRequest, form: FormFields): void {
  forms.set(request, form);
}

/** A POST's form fields (CSRF-checked); empty for a GET. */
export function formOf(request: FastifyRequest): FormFields {
  return forms.get(request) ?? {};
}

/** Who acts on the review desk and the admin functions: the session's user, with its role. */
export function principalOf(request: FastifyRequest): Principal {
  const { user } = sessionOf(request);
  return userPrincipal(user.username, user.role);
}

/** The audit actor of the session's user (`user:<name>`). */
export function actorOf(request: FastifyRequest): string {
  return consoleActor(sessionOf(request).user.username);
}

/** A page's frame for the request: its session and the kill switch's state for the banner. */
export async function frameOf(request: FastifyRequest, deps: ConsoleDeps, section: Section, title: string): Promise<Frame> {
  return { title, section, session: sessionIfAny(request), controls: await signingControls(deps.db) };
}
