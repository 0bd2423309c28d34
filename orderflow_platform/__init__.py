"""What every orderflow service needs once: settings, logging, Kafka serde, shutdown."""

import warnings

# confluent-kafka's registry client imports authlib's httpx integration, which warns about
# its own rename on import. authlib installs an "always" filter for its warnings when first
# imported, so ours must be added after that import to take precedence.
import authlib.deprecate  # noqa: F401

warnings.filterwarnings("ignore", message="The httpx module is deprecated")
