import { missingChannelAction } from '../src/missing-channel';

describe('a frame on a channel with no session (as Microsoft.Azure.Amqp treats it)', () => {
  it('ignores end and detach, which can cross our own end in flight', () => {
    expect(missingChannelAction('end', 3)).toEqual({ ignore: true });
    expect(missingChannelAction('detach', 3)).toEqual({ ignore: true });
  });

  it('closes the connection with amqp:not-found for any other frame, naming it and the channel', () => {
    for (const performative of ['flow', 'transfer', 'disposition', 'attach'] as const) {
      expect(missingChannelAction(performative, 7)).toEqual({
        ignore: false,
        error: {
          condition: 'amqp:not-found',
          description: `A ${performative} frame arrived on channel 7, which has no session on this connection.`,
        },
      });
    }
  });
});
