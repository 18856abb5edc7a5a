import yaml

from cardcare.stack import StackConfig, _endpoints_file


def test_endpoints_are_in_memory_by_default(tmp_path):
    config = StackConfig(rasa_port=6001, actions_port=6002, log_dir=tmp_path)
    endpoints = yaml.safe_load(_endpoints_file(config).read_text())
    assert endpoints == {"action_endpoint": {"url": "http://127.0.0.1:6002/webhook"}}


def test_redis_url_configures_tracker_and_lock_stores(tmp_path):
    config = StackConfig(rasa_port=6001, actions_port=6002, log_dir=tmp_path,
                         redis_url="redis://:s3cret@127.0.0.1:6380/3")
    text = _endpoints_file(config).read_text()
    assert "s3cret" not in text  # the password travels in the environment, not in a file
    endpoints = yaml.safe_load(text)
    for store in ("tracker_store", "lock_store"):
        assert endpoints[store] == {"type": "redis", "url": "127.0.0.1", "port": 6380,
                                    "key_prefix": "cardcare", "password": "${REDIS_PASSWORD}", "db": 3}
