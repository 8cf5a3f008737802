import type { AmqpError, Connection } from 'rhea';

/**
 * A frame on a channel with no session. rhea throws a ProtocolError for it and ends the socket without
 * a `close` frame, which the Event Hubs SDK's close() never recovers from (it waits for a close that
 * will not come). The race is ordinary: closing a busy receiver, the SDK's rhea sends `end`, then
 * keeps answering the transfers still in flight with `flow` frames on that channel; once our `end`
 * has gone out and rhea freed the channel, those frames find no session.
 *
 * What the service's AMQP stack does instead (Microsoft.Azure.Amqp, github.com/Azure/azure-amqp src/AmqpConnection.cs, ProcessFrame): a
 * missing channel's `end` or `detach` is ignored ("the session close may have timed out already");
 * any other frame closes the connection with amqp:not-found, unless the host set
 * IgnoreMissingSessions. So: ignore those two, and close any other with the error, as a `close`
 * frame the client can act on rather than a dropped socket.
 */
export type MissingChannelAction =
  { readonly ignore: true } | { readonly ignore: false; readonly error: AmqpError };

const DELEGATED = ['end', 'attach', 'detach', 'transfer', 'disposition', 'flow'] as const;
type Performative = (typeof DELEGATED)[number];

export function missingChannelAction(performative: Performative, channel: number): MissingChannelAction {
  if (performative === 'end' || performative === 'detach') return { ignore: true };
  return {
    ignore: false,
    error: {
      condition: 'amqp:not-found',
      description: `A ${performative} frame arrived on channel ${channel}, which has no session on this connection.`,
    },
  };
}

type FrameHandler = (frame: { channel: number }) => void;
type ConnectionFrames = { remote_channel_map: Record<number, unknown> } & Record<
  `on_${Performative}`,
  FrameHandler
>;

/** Routes a connection's frames on missing channels through missingChannelAction instead of a throw. */
export function handleMissingChannels(
  connection: Connection,
  onMissing: (performative: Performative, channel: number, action: MissingChannelAction) => void,
): void {
  const frames = connection as unknown as ConnectionFrames;
  for (const performative of DELEGATED) {
    const handler = `on_${performative}` as const;
    const delegate = frames[handler].bind(connection);
    frames[handler] = (frame) => {
      if (frames.remote_channel_map[frame.channel]) return delegate(frame);
      const action = missingChannelAction(performative, frame.channel);
      onMissing(performative, frame.channel, action);
      if (!action.ignore) connection.close(action.error);
    };
  }
}
