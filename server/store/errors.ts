export type TStoreError = {
  code: "store_locked" | "store_unreachable" | "migration_failed" | "migration_modified";
  message: string;
};

export class StoreError extends Error {
  constructor(readonly detail: TStoreError) {
    super(detail.message);
  }
}
