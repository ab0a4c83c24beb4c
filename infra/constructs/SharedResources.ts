import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ProviderSecrets } from './ProviderSecrets.js';
import type { RuntimeSettings } from './RuntimeSettings.js';
import type { StateTable } from './StateTable.js';

/** What every batchlane function is bound to; each construct grants only what its function uses. */
interface SharedResources {
  readonly stateTable: StateTable;
  readonly bucket: IBucket;
  readonly eventBus: IEventBus;
  readonly providerSecrets: ProviderSecrets;
  readonly settings: RuntimeSettings;
}

export type { SharedResources };
