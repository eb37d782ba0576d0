/**
 * The simulator's HTTP layer: it reads a call, checks its route and API key, asks the decision
 * module (decisions.ts) what to answer, waits the decided delay, then writes the answer, holds the
 * socket unanswered (a timeout) or breaks the connection (a drop), and records the call. No rule
 * of the provider's behaviour lives here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readBody, RequestBodyTooLarge } from '../../http/loopback-server';
import {
  type Answer,
  BODY_TOO_LARGE,
  jsonAnswer,
  METHOD_NOT_ALLOWED,
  NOT_FOUND,
  UNAUTHORIZED,
} from './answers';
import type { CallLog } from './call-log';
import type { CallDraft } from './calls';
import type { Decision, FreshCall, ProviderDecisions } from './decisions';
import type { SimulatorSettings } from './options';
import type { OutcomeStore } from './outcome-store';
import { parseBody, validateRequest, type ValidRequest } from './request';

const ROUTE = '/v1/confirmations';
/** A confirmation request is a few hundred bytes; anything near this is not one. */
const MAX_BODY_BYTES = 64 * 1024;

export class ProviderHttpLayer {
  /** Sockets of timed-out calls: held open, unanswered, until `timeoutHoldMs` is over. */
  private readonly held = new Map<Socket, NodeJS.Timeout>();
  private readonly bearer: string;

  constructor(
    apiKey: string,
    /** The current knobs (configure() replaces them while the simulator runs). */
    private readonly settings: () => SimulatorSettings,
    private readonly decisions: ProviderDecisions,
    /** Held around each decision: the key's stored outcome is in memory while it is decided. */
    private readonly outcomes: OutcomeStore,
    private readonly callLog: CallLog,
  ) {
    this.bearer = `Bearer ${apiKey}`;
  }

  /** The server's request listener. */
  readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    readBody(req, MAX_BODY_BYTES).then(
      (text) => this.handle(req, res, text),
      (error: unknown) => {
        // Refused before it counts as a call: it never reached the provider's logic.
        if (error instanceof RequestBodyTooLarge) send(res, BODY_TOO_LARGE);
        // Otherwise the caller's connection broke mid-request: there is no one to answer.
      },
    );
  };

  /** Ends every held socket now (the simulator stops, or refuses connections). */
  releaseHeld(): void {
    for (const [socket, timer] of this.held) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.held.clear();
  }

  private handle(req: IncomingMessage, res: ServerResponse, text: string): void {
    const key = req.headers['idempotency-key'];
    const authorization = req.headers.authorization;
    const call: CallDraft = {
      at: new Date().toISOString(),
      idempotencyKey: typeof key === 'string' ? key : undefined,
      transactionId: undefined,
      hasAuthorization: authorization !== undefined,
      authorized: authorization === this.bearer,
      status: undefined,
      outcome: 'pending',
      replayed: false,
    };
    this.callLog.arrived(call);

    const route = req.url === undefined ? '' : req.url.split('?', 1)[0];
    if (route !== ROUTE) return this.answer(res, call, NOT_FOUND);
    if (req.method !== 'POST') return this.answer(res, call, METHOD_NOT_ALLOWED);
    const body = parseBody(text);
    // Recorded even when the call is refused: a test can find a 401 by its transaction.
    if (typeof body?.transactionId === 'string') call.transactionId = body.transactionId;
    // A fault mode (outage, wrong credentials) answers before the key or the request count.
    const gated = this.decisions.gate();
    if (gated === 'refuse') return this.drop(res, call);
    if (gated !== undefined) return this.answer(res, call, gated);
    if (!call.authorized) return this.answer(res, call, UNAUTHORIZED);
    const request = validateRequest(call.idempotencyKey, body);
    if ('status' in request) return this.answer(res, call, request);
    call.amount = request.amount;
    call.currency = request.currency;

    this.decideHeld(res, call, request)
      .catch((err: unknown) => {
        // A failing `before` hook (tests only) or an outcome store that cannot be read or
        // written: answer 500 rather than hang.
        this.answer(res, call, jsonAnswer(500, { reason: String(err) }, 'transient'));
      })
      .finally(() => this.outcomes.release(request.key));
  }

  /** With the key's outcome held in memory: a replay or refusal now, or a fresh call. */
  private async decideHeld(res: ServerResponse, call: CallDraft, request: ValidRequest) {
    await this.outcomes.hold(request.key);
    const admission = this.decisions.admit(request);
    if (admission.kind === 'answer') {
      call.replayed = admission.replayed;
      return this.answer(res, call, admission.answer);
    }
    await this.answerFresh(res, call, admission.call);
  }

  /**
   * A fresh call: wait its delay and its step's hook, then carry out what was decided (a final
   * answer is stored by decide(), before it is sent).
   */
  private async answerFresh(res: ServerResponse, call: CallDraft, fresh: FreshCall) {
    let decision: Decision;
    try {
      if (fresh.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fresh.delayMs));
      await fresh.step?.before?.();
      decision = this.decisions.decide(fresh);
    } finally {
      this.decisions.release(fresh);
    }
    if (decision.kind === 'drop') return this.drop(res, call);
    if (decision.kind === 'timeout') {
      call.outcome = 'timeout';
      void this.callLog.answered(call);
      this.hold(res);
      return;
    }
    call.replayed = decision.replayed;
    this.answer(res, call, decision.answer);
  }

  /** Breaks the connection instead of answering. */
  private drop(res: ServerResponse, call: CallDraft): void {
    call.outcome = 'dropped';
    void this.callLog.answered(call);
    res.socket?.destroy();
  }

  /** Completes the call's record from its answer, then sends the answer once it is recorded. */
  private answer(res: ServerResponse, call: CallDraft, answer: Answer): void {
    call.status = answer.status;
    call.outcome = answer.outcome;
    if (answer.reference !== undefined) call.reference = answer.reference;
    if (answer.reason !== undefined) call.reason = answer.reason;
    void this.callLog.answered(call).then(() => send(res, answer));
  }

  /** A timeout: the socket stays open without an answer, longer than the client waits. */
  private hold(res: ServerResponse): void {
    const socket = res.socket;
    if (socket === null || socket.destroyed) return;
    const timer = setTimeout(() => {
      this.held.delete(socket);
      socket.destroy();
    }, this.settings().timeoutHoldMs);
    this.held.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      this.held.delete(socket);
    });
  }
}

/** Writes the answer, unless the caller already went away (or a 500 follows a sent answer). */
function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.text);
}
