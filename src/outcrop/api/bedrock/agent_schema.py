"""Request schemas of the `bedrock-agent` knowledge-base operations (bounds from the service's API reference).

Nested configuration the server does not act on (other vector stores, parsing, transformations) is checked for
its type only, so requests written for Bedrock pass; what would change behaviour is refused in agent_api.
"""

from __future__ import annotations

from outcrop.families.schema import array, enum, integer, obj, string

_OBJECT = {"type": "object"}
_NAME = string(1, 100, pattern=r"^([0-9a-zA-Z][_-]?){1,100}$")
_DESCRIPTION = string(1, 200)
_TOKEN = string(33, 256)
_BUCKET_ARN = r"^arn:aws(|-cn|-us-gov):s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
_JOB_STATUS = enum("STARTING", "IN_PROGRESS", "COMPLETE", "FAILED", "STOPPING", "STOPPED")
_TAGS = {"type": "object", "additionalProperties": string(0, 256)}
_LIST_COMMON = {"maxResults": integer(1, 1000), "nextToken": string(1, 2048)}

KNOWLEDGE_BASE = obj(
    {
        "clientToken": _TOKEN,
        "name": _NAME,
        "description": _DESCRIPTION,
        "roleArn": string(0, 2048),
        "knowledgeBaseConfiguration": obj(
            {
                "type": enum("VECTOR", "KENDRA", "SQL"),
                "vectorKnowledgeBaseConfiguration": obj(
                    {
                        "embeddingModelArn": string(20, 2048),
                        "embeddingModelConfiguration": obj(
                            {
                                "bedrockEmbeddingModelConfiguration": obj(
                                    {"dimensions": integer(0, 4096), "embeddingDataType": enum("FLOAT32", "BINARY")}
                                )
                            }
                        ),
                        "supplementalDataStorageConfiguration": _OBJECT,
                    },
                    required=["embeddingModelArn"],
                ),
                "kendraKnowledgeBaseConfiguration": _OBJECT,
                "sqlKnowledgeBaseConfiguration": _OBJECT,
            },
            required=["type"],
        ),
        "storageConfiguration": {"type": "object", "properties": {"type": string(1, 64)}, "required": ["type"]},
        "tags": _TAGS,
    },
    required=["name", "roleArn", "knowledgeBaseConfiguration"],
)

DATA_SOURCE = obj(
    {
        "clientToken": _TOKEN,
        "name": _NAME,
        "description": _DESCRIPTION,
        "dataSourceConfiguration": obj(
            {
                "type": enum("S3", "WEB", "CONFLUENCE", "SALESFORCE", "SHAREPOINT", "CUSTOM", "REDSHIFT_METADATA"),
                "s3Configuration": obj(
                    {
                        "bucketArn": string(1, 2048, pattern=_BUCKET_ARN),
                        "inclusionPrefixes": array(string(1, 300), 1, 1),
                        "bucketOwnerAccountId": string(12, 12),
                    },
                    required=["bucketArn"],
                ),
                "webConfiguration": _OBJECT,
                "confluenceConfiguration": _OBJECT,
                "salesforceConfiguration": _OBJECT,
                "sharePointConfiguration": _OBJECT,
            },
            required=["type"],
        ),
        "dataDeletionPolicy": enum("RETAIN", "DELETE"),
        "serverSideEncryptionConfiguration": _OBJECT,
        "vectorIngestionConfiguration": {
            "type": "object",
            "properties": {"chunkingConfiguration": _OBJECT},
        },
    },
    required=["name", "dataSourceConfiguration"],
)

START_JOB = obj({"clientToken": _TOKEN, "description": _DESCRIPTION})

LIST = obj(_LIST_COMMON)

LIST_JOBS = obj(
    {
        **_LIST_COMMON,
        "filters": array(
            obj(
                {
                    "attribute": enum("STATUS"),
                    "operator": enum("EQ"),
                    "values": array(_JOB_STATUS, 1, 10),
                },
                required=["attribute", "operator", "values"],
            ),
            1,
            1,
        ),
        "sortBy": obj(
            {"attribute": enum("STATUS", "STARTED_AT"), "order": enum("ASCENDING", "DESCENDING")},
            required=["attribute", "order"],
        ),
    }
)
