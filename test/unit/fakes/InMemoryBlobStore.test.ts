import { describeBlobStoreContract } from '../../contract/BlobStoreContract.js';
import { InMemoryBlobStore } from '../../support/fakes/InMemoryBlobStore.js';

describeBlobStoreContract('InMemoryBlobStore', async () => ({ port: new InMemoryBlobStore() }));
