import { EventBus as CdkEventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

/**
 * batchlane's own EventBridge bus for lifecycle events (request rejected, batch submitted,
 * request completed, batch completed). Consumers add rules on it; no resource policy is set,
 * so only this account can put events.
 */
class EventBus extends Construct {
  public readonly bus: CdkEventBus;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bus = new CdkEventBus(this, 'Bus', {
      description: 'batchlane lifecycle events',
    });
  }
}

export { EventBus };
