"""The endpoints file the stack writes for Rasa, and the environment its processes get."""

import pytest
import yaml
from cryptography.fernet import Fernet

from cardcare.dev.stack import StackConfig, _credentials_file, _endpoints_file, _environment


def test_endpoints_are_in_memory_by_default_and_masked(tmp_path):
    config = StackConfig(rasa_port=6001, actions_port=6002, log_dir=tmp_path)
    endpoints = yaml.safe_load(_endpoints_file(config, 6001).read_text())
    assert endpoints == {
        "action_endpoint": {"url": "http://127.0.0.1:6002/webhook", "headers": {
            "Authorization": "Bearer ${CARDCARE_ACTIONS_TOKEN}"}},  # the token: environment
        "nlg": {"type": "cardcare.nlg.LanguageTaggingGenerator"},
        "tracker_store": {"type": "cardcare.tracker_store.MaskingInMemoryTrackerStore"},
        "lock_store": {"type": "cardcare.lock_store.WakingInMemoryLockStore"},
    }


def test_rasa_hears_the_gateway_only_with_this_runs_token(tmp_path):
    config = StackConfig(rasa_port=6001, log_dir=tmp_path)
    text = _credentials_file(config, 6001).read_text()
    assert config.gateway_token not in text  # the token travels in the environment
    assert yaml.safe_load(text) == {
        "cardcare.gateway_input.LocalRestInput": None,
        "cardcare.gateway_input.GatewayInput": {"token": "${CARDCARE_GATEWAY_TOKEN}"}}
    assert StackConfig().gateway_token != config.gateway_token  # new for every run


def test_each_process_gets_this_runs_credentials_from_the_environment(tmp_path):
    config = StackConfig(log_dir=tmp_path, sandbox_max_codes=99)
    env = _environment(config, "key")
    assert env["CARDCARE_ACTIONS_TOKEN"] == config.actions_token
    assert env["CARDCARE_GATEWAY_TOKEN"] == config.gateway_token
    assert env["SANDBOX_MAX_CODES"] == "99"
    assert Fernet(env["CARDCARE_SESSION_KEY"].encode())  # a valid key for the session store
    assert StackConfig().actions_token != config.actions_token


def test_redis_url_configures_tracker_and_lock_stores(tmp_path):
    config = StackConfig(rasa_port=6001, actions_port=6002, log_dir=tmp_path,
                         redis_url="redis://:s3cret@127.0.0.1:6380/3")
    text = _endpoints_file(config, 6001).read_text()
    assert "s3cret" not in text  # the password travels in the environment, not in a file
    endpoints = yaml.safe_load(text)
    common = {"url": "127.0.0.1", "port": 6380, "key_prefix": "cardcare",
              "password": "${REDIS_PASSWORD}", "db": 3}
    assert endpoints["tracker_store"] == {
        "type": "cardcare.tracker_store.MaskingRedisTrackerStore", **common}
    assert endpoints["lock_store"] == {"type": "cardcare.lock_store.WakingRedisLockStore", **common}


def test_the_sandbox_bank_is_embedded_unless_a_bank_is_named(tmp_path):
    embedded = _environment(StackConfig(bank_port=8123, log_dir=tmp_path), "key")
    assert embedded["BANK_URL"] == "http://127.0.0.1:8123"
    assert embedded["BANK_DATABASE_URL"].startswith("sqlite:///")
    real = _environment(StackConfig(bank_url="https://bank.example/api", bank_api_key="k",
                                    log_dir=tmp_path), "k")
    assert real["BANK_URL"] == "https://bank.example/api" and "BANK_DATABASE_URL" not in real


def test_rasa_reads_the_action_servers_token_from_the_environment(tmp_path, monkeypatch):
    """Read as Rasa reads it: ``${VAR}`` is replaced only in plain (unquoted) YAML scalars."""
    from rasa.core.utils import AvailableEndpoints

    monkeypatch.setenv("CARDCARE_ACTIONS_TOKEN", "tok-123")
    path = _endpoints_file(StackConfig(log_dir=tmp_path), 5005)
    endpoints = AvailableEndpoints.read_endpoints(str(path))
    assert endpoints.action.headers == {"Authorization": "Bearer tok-123"}


def test_several_rasa_servers_share_the_action_servers_round_robin(tmp_path):
    config = StackConfig(rasa_port=6001, actions_port=7001, rasa_processes=3,
                         actions_processes=2, log_dir=tmp_path)
    assert config.rasa_urls == ("http://127.0.0.1:6001", "http://127.0.0.1:6002",
                                "http://127.0.0.1:6003")
    called = [yaml.safe_load(_endpoints_file(config, port).read_text())["action_endpoint"]["url"]
              for port in config.rasa_ports]
    assert called == ["http://127.0.0.1:7001/webhook", "http://127.0.0.1:7002/webhook",
                      "http://127.0.0.1:7001/webhook"]
    # Each Rasa server has its own files: none overwrites another's.
    assert sorted(p.name for p in tmp_path.glob("endpoints-*.yml")) == [
        "endpoints-6001.yml", "endpoints-6002.yml", "endpoints-6003.yml"]


def test_a_stack_without_rasa_or_action_server_is_refused():
    with pytest.raises(ValueError):
        StackConfig(rasa_processes=0)
    with pytest.raises(ValueError):
        StackConfig(actions_processes=0)
