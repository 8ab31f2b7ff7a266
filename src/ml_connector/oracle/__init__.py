"""Oracle Fusion Cloud ERP client: receivables, inventory, customers, accounts, batches."""

from ._auth import BasicCredentials, OAuthClientCredentials, OracleOAuth
from ._batch import BatchPart, BatchPartResult
from ._converter import content_hash, dumps_wire, from_wire, make_converter, to_wire
from ._describe import AttributeNeeds, DescribeProblem, TenantReport
from ._inventory import (
    InventoryCompletedTransactionRecord,
    InventoryPostResult,
    InventoryState,
    InventoryTransactionStatus,
)
from ._items import ItemMasterRecord  # catalog (issue 20)
from .client import (
    AsyncOracleFusionClient,
    InventoryTransactionError,
    OracleFusionClient,
    OracleFusionSettings,
    Page,
    PostResult,
)
from .models import (
    AccountClass,
    AccountCombination,
    CustomerAccount,
    CustomerAccountSite,
    InventoryStagedTransaction,
    InventoryStagedTransactionRecord,
    NewParty,
    Party,
    PartyType,
    ReceivablesCreditMemo,
    ReceivablesCreditMemoLine,
    ReceivablesCreditMemoRecord,
    ReceivablesInvoice,
    ReceivablesInvoiceDistribution,
    ReceivablesInvoiceLine,
    ReceivablesInvoiceRecord,
    TransactionMode,
)

__all__ = [
    "AccountClass",
    "AccountCombination",
    "AsyncOracleFusionClient",
    "AttributeNeeds",
    "BasicCredentials",
    "BatchPart",
    "BatchPartResult",
    "CustomerAccount",
    "CustomerAccountSite",
    "DescribeProblem",
    "InventoryCompletedTransactionRecord",
    "InventoryPostResult",
    "InventoryStagedTransaction",
    "InventoryStagedTransactionRecord",
    "InventoryState",
    "InventoryTransactionError",
    "InventoryTransactionStatus",
    "ItemMasterRecord",
    "NewParty",
    "OAuthClientCredentials",
    "OracleFusionClient",
    "OracleFusionSettings",
    "OracleOAuth",
    "Page",
    "Party",
    "PartyType",
    "PostResult",
    "ReceivablesCreditMemo",
    "ReceivablesCreditMemoLine",
    "ReceivablesCreditMemoRecord",
    "ReceivablesInvoice",
    "ReceivablesInvoiceDistribution",
    "ReceivablesInvoiceLine",
    "ReceivablesInvoiceRecord",
    "TenantReport",
    "TransactionMode",
    "content_hash",
    "dumps_wire",
    "from_wire",
    "make_converter",
    "to_wire",
]
