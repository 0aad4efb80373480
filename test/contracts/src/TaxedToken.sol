// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title TaxedToken
/// @notice A fee-on-transfer ERC20: `transfer` and `transferFrom` take the full value from the sender but deliver
/// 1 % less (rounded down), burning the difference, and log `Transfer(from, to, delivered)`. Such tokens exist; a
/// withdrawal paid with one succeeds on chain yet delivers less than the amount the user asked for, so the wallet
/// cannot simply call it paid.
contract TaxedToken {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error InsufficientBalance(address from, uint256 balance, uint256 needed);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    function mint(address to, uint256 value) external {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        allowance[from][msg.sender] -= value;
        _move(from, to, value);
        return true;
    }

    function _move(address from, address to, uint256 value) private {
        uint256 balance = balanceOf[from];
        if (balance < value) revert InsufficientBalance(from, balance, value);
        uint256 delivered = value - value / 100;
        balanceOf[from] = balance - value;
        balanceOf[to] += delivered;
        totalSupply -= value - delivered;
        emit Transfer(from, to, delivered);
    }
}
